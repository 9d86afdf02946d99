"""Real cities (centre coordinates, ISO country, currency) with a weight for how many
listings each gets and a spread (degrees, one standard deviation) around its centre."""

from typing import NamedTuple


class City(NamedTuple):
    name: str
    state: str
    country: str
    currency: str
    latitude: float
    longitude: float
    weight: int
    spread: float
    price_factor: float  # relative to Nairobi
    neighbourhoods: tuple[str, ...]


CITIES: tuple[City, ...] = (
    City(
        "Nairobi",
        "Nairobi",
        "KE",
        "KES",
        -1.2864,
        36.8172,
        300,
        0.08,
        1.0,
        ("Kilimani", "Westlands", "Lavington", "Karen", "Kileleshwa", "Runda", "South B", "Embakasi", "Kasarani"),
    ),
    City(
        "Mombasa",
        "Mombasa",
        "KE",
        "KES",
        -4.0435,
        39.6682,
        90,
        0.06,
        0.8,
        ("Nyali", "Bamburi", "Shanzu", "Tudor", "Kizingo", "Mtwapa"),
    ),
    City("Kisumu", "Kisumu", "KE", "KES", -0.0917, 34.7680, 50, 0.05, 0.55, ("Milimani", "Tom Mboya", "Nyalenda")),
    City("Nakuru", "Nakuru", "KE", "KES", -0.3031, 36.0800, 50, 0.05, 0.5, ("Milimani", "Section 58", "Lanet")),
    City("Eldoret", "Uasin Gishu", "KE", "KES", 0.5143, 35.2698, 40, 0.05, 0.45, ("Elgon View", "Kapsoya", "Pioneer")),
    City("Thika", "Kiambu", "KE", "KES", -1.0333, 37.0693, 35, 0.04, 0.5, ("Makongeni", "Section 9", "Landless")),
    City("Kiambu", "Kiambu", "KE", "KES", -1.1714, 36.8356, 35, 0.05, 0.7, ("Ruaka", "Kikuyu", "Ruiru", "Limuru")),
    City("Machakos", "Machakos", "KE", "KES", -1.5177, 37.2634, 25, 0.05, 0.45, ("Syokimau", "Athi River", "Mlolongo")),
    City("Malindi", "Kilifi", "KE", "KES", -3.2192, 40.1169, 25, 0.04, 0.7, ("Casuarina", "Silversands", "Shella")),
    City("Kilifi", "Kilifi", "KE", "KES", -3.6305, 39.8499, 15, 0.04, 0.6, ("Mnarani", "Bofa", "Watamu")),
    City("Naivasha", "Nakuru", "KE", "KES", -0.7167, 36.4333, 15, 0.05, 0.6, ("Moi South Lake", "Kongoni")),
    City("Nanyuki", "Laikipia", "KE", "KES", 0.0167, 37.0667, 15, 0.04, 0.55, ("Likii", "Majengo")),
    City("Nyeri", "Nyeri", "KE", "KES", -0.4201, 36.9476, 15, 0.04, 0.45, ("Ruringu", "Skuta")),
    City("Meru", "Meru", "KE", "KES", 0.0463, 37.6559, 15, 0.04, 0.4, ("Makutano", "Kinoru")),
    City("Kakamega", "Kakamega", "KE", "KES", 0.2827, 34.7519, 10, 0.04, 0.35, ("Milimani", "Amalemba")),
    City(
        "Kampala", "Central", "UG", "UGX", 0.3476, 32.5825, 60, 0.07, 28.0, ("Kololo", "Nakasero", "Muyenga", "Ntinda")
    ),
    City(
        "Dar es Salaam",
        "Dar es Salaam",
        "TZ",
        "TZS",
        -6.7924,
        39.2083,
        60,
        0.08,
        19.0,
        ("Masaki", "Oyster Bay", "Mikocheni", "Mbezi"),
    ),
    City("Arusha", "Arusha", "TZ", "TZS", -3.3869, 36.6830, 20, 0.05, 15.0, ("Njiro", "Sakina", "Kijenge")),
    City("Kigali", "Kigali", "RW", "RWF", -1.9441, 30.0619, 30, 0.05, 9.5, ("Kiyovu", "Nyarutarama", "Kimihurura")),
    City("Addis Ababa", "Addis Ababa", "ET", "ETB", 9.0054, 38.7636, 30, 0.07, 0.9, ("Bole", "Kazanchis", "CMC")),
)
