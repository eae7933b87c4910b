SERVICE = "routing"
CITY_ORG = "city"
