"""The placements feature: models, schemas, service functions and API routes."""
