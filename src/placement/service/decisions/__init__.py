"""The decisions feature: models, schemas, service functions and API routes."""
