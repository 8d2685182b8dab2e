"""The children feature: models, schemas, service functions and API routes."""
