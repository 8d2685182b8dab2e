"""The areas feature: models, schemas, service functions and API routes."""
