"""Hot issues (热点问题): recent cases grouped into topics with a heat index."""
