"""Names of the company's people and customers: Dutch and Flemish first and last names,
cities per region and the words customers' names are made of."""

from __future__ import annotations

DOMAIN = "noordwind.nl"

FIRST_NL = (
    "Anna", "Bas", "Chantal", "Daan", "Eva", "Femke", "Gijs", "Hanneke", "Inge", "Jeroen", "Kim",
    "Lars", "Maarten", "Noor", "Olaf", "Pieter", "Ruben", "Sophie", "Thijs", "Ilse", "Vincent",
    "Wouter", "Yvonne", "Ziggy", "Anouk", "Bart", "Charlotte", "Dennis", "Esther", "Floor",
    "Geert", "Hugo", "Iris", "Jasper", "Koen", "Lieke", "Mark", "Nina", "Roel", "Sander", "Tessa",
    "Tim", "Vera", "Willem", "Jan", "Sem", "Lisa", "Mila", "Rick", "Marloes", "Niels", "Paul",
    "Emma", "Julia", "Robin", "Stijn", "Merel", "Mees", "Fleur", "Joost",
)
LAST_NL = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Smit",
    "Meijer", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
    "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs",
    "de Haan", "Vermeulen", "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn",
    "van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet", "van de Ven", "Hoekstra",
    "Maas", "Verhoeven", "Koster", "van Dam", "van der Wal", "Prins", "Blom", "Huisman", "Postma",
    "Kuipers", "Veenstra", "Kramer", "van der Laan", "Scholten", "Wijnands", "Boersma",
)
FIRST_BE = (
    "Arne", "Bram", "Elke", "Fien", "Griet", "Hanne", "Jens", "Jolien", "Kobe", "Lien", "Lore",
    "Matthias", "Nele", "Pieterjan", "Ruben", "Sien", "Tine", "Wout", "Jef", "Ine", "Seppe",
    "Annelies", "Dries", "Kato",
)
LAST_BE = (
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
    "De Smet", "Dubois", "Lambert", "Dupont", "Hermans", "Van den Bossche", "Vermeersch",
    "De Clercq", "Aerts", "Declercq", "Van Damme", "Michiels", "Desmet", "Verstraete", "Pauwels",
)
PROFILE_NAMES = {
    "director": "Marieke van den Berg",
    "star": "Sanne Visser",
    "slow_responder": "Bram de Boer",
    "quote_loser": "Joris Peeters",
    "over_forecaster": "Lotte Mulder",
}
CITY_BY_REGION = (
    ("Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Leiden", "Haarlem", "Delft", "Amersfoort"),
    ("Groningen", "Leeuwarden", "Assen", "Drachten", "Emmen", "Heerenveen"),
    ("Zwolle", "Enschede", "Apeldoorn", "Arnhem", "Nijmegen", "Deventer", "Hengelo"),
    ("Eindhoven", "Breda", "Tilburg", "Maastricht", "'s-Hertogenbosch", "Venlo", "Helmond"),
    ("Antwerpen", "Gent", "Brugge", "Leuven", "Hasselt", "Kortrijk", "Mechelen"),
    ("Brussel", "Anderlecht", "Zaventem", "Vilvoorde"),
)
WORD_BY_INDUSTRY = (
    ("Logistiek", "Transport", "Distributie", "Expeditie"),
    ("Groothandel", "Trading", "Handelsonderneming"),
    ("Bouw", "Installatietechniek", "Bouwgroep"),
    ("Metaal", "Techniek", "Productie", "Machinebouw"),
    ("Zorggroep", "Thuiszorg", "Medisch"),
    ("Retail", "Winkels", "Mode"),
    ("Consultancy", "Advies", "Diensten"),
    ("Food", "Kwekerij", "Agrarisch"),
    ("Gemeentelijke Diensten", "Waterschap", "Facilitair Bedrijf"),
    ("Scholengroep", "Opleidingen", "Onderwijsgroep"),
)
