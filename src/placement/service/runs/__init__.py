"""The runs feature: models, schemas, service functions and API routes."""
