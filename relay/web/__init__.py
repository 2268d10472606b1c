"""What every HTTP handler shares: the base handler and its one error shape, limits, the access
log, metrics, health and the pieces of the OpenAPI document (assembled in relay/routes.py)."""
