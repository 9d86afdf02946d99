"""The listing-portal queries the benchmarks measure: name -> path under /api/v1/.
Detail paths are filled in with ids sampled from the database."""

# Nairobi-centred boxes for the three map zooms: country-wide, city, neighbourhood.
MAP_BOXES = {
    6: "33.0,-5.0,41.0,3.0",
    10: "36.6,-1.45,37.05,-1.1",
    14: "36.77,-1.305,36.80,-1.28",
}

SCENARIOS: dict[str, str] = {
    "text search (common word)": "properties/?search=garden",
    "text search (rare word)": "properties/?search=lavington",
    "text search by relevance": "properties/?search=garden&ordering=relevance",
    "filter + sort": "properties/?city=nairobi&listing_type=sale&min_price=3000000&max_price=9000000"
    "&min_bedrooms=2&ordering=price",
    "bbox": "properties/?bbox=36.78,-1.31,36.83,-1.26",
    "near + radius 3 km": "properties/?near=-1.2864,36.8172&radius_km=3",
    "near + radius 1 km": "properties/?near=-1.2864,36.8172&radius_km=1",
    "facets (city)": "properties/facets/?city=nairobi",
    "facets (all)": "properties/facets/",
    "facets (city + price)": "properties/facets/?city=nairobi&min_price=3000000",
    "facets (city + price off the grid)": "properties/facets/?city=nairobi&min_price=3200000&max_price=8900000",
    "facets (city + text, live)": "properties/facets/?city=nairobi&search=garden",
    "map zoom 6": f"properties/map/?bbox={MAP_BOXES[6]}&zoom=6",
    "map zoom 10": f"properties/map/?bbox={MAP_BOXES[10]}&zoom=10",
    "map zoom 14": f"properties/map/?bbox={MAP_BOXES[14]}&zoom=14",
    "detail": "properties/{id}/",
    "page 200 (filtered)": "properties/?city=nairobi&page=200",
}
