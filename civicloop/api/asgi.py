"""The app for an ASGI server, configured from the environment (CIVICLOOP_*):
`civicloop serve` runs it; so can `uvicorn civicloop.api.asgi:app`."""
from civicloop.api.app import create_app

app = create_app()
