"""`python -m koers`: the CLI, where the `koers` script is not on the PATH."""

from koers.cli import main

main()
