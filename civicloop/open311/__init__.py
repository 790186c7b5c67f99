"""Open311 GeoReport v2 (and mySociety's servicerequestupdates extension) over the case engine."""
