"""The HTTP service: the app, its errors (RFC 9457), and what every view depends on."""
