"""The one error type every layer raises for a client's mistake."""


class ApiError(Exception):
    """An error the client caused (or must see); rendered as the JSON error shape."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}

    def body(self) -> dict:
        return {"success": False,
                "error": {"code": self.code, "message": self.message, "field": self.field}}


def bad_request(field: str | None, message: str, code: str = "invalid_field") -> ApiError:
    return ApiError(400, code, message, field)


def not_found(code: str, message: str, field: str | None = None) -> ApiError:
    return ApiError(404, code, message, field)


class StorageUnavailable(Exception):
    """The database could not commit; the request was not accepted."""

    def api_error(self) -> ApiError:
        return ApiError(503, "storage_unavailable", str(self))


def json_object(body, allowed) -> dict:
    """A request body that must be a JSON object with no fields but the allowed ones."""
    if not isinstance(body, dict):
        raise bad_request(None, "the body must be a JSON object", "invalid_body")
    for name in body:
        if name not in allowed:
            raise bad_request(name, f"unknown field '{name}'", "unknown_field")
    return body
