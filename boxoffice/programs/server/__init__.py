"""The central server (FastAPI): the REST API the desktop stations and gates talk to."""
