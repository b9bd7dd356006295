"""Live syncs from CRMs: each connector reads its vendor's API into canonical
rows; runner.run_sync imports them through the same validation as a file
import and records how far it read and what it wrote."""
