"""The portal's sign-in: GET /portal/api/session (am I signed in; the XSRF token),
POST /portal/api/signin {password}, POST /portal/api/setup {setup_code, password} (first visit,
with the code `relay serve` printed) and POST /portal/api/signout."""
from relay.core.errors import ApiError, bad_request, json_object
from relay.web.base import BaseHandler
from relay.portal.access import COOKIE_PATH, SESSION_COOKIE


class PortalSessionHandler(BaseHandler):
    auth = None

    def fields(self, *names) -> dict:
        """The body: a JSON object of exactly these string fields."""
        body = json_object(self.json_body(), names)
        for name in names:
            if not isinstance(body.get(name), str) or not body[name]:
                raise bad_request(name, f"'{name}' is required", "required")
        return body

    def start_session(self) -> None:
        token, session = self.relay.portal.open_session()
        self.set_cookie(SESSION_COOKIE, token, path=COOKIE_PATH, httponly=True,
                        samesite="Strict", secure=bool(self.relay.settings.tls_cert),
                        max_age=self.relay.portal.lifetime)
        self.reply(200, {"success": True, "signed_in": True, "xsrf_token": session.xsrf})


class SessionHandler(PortalSessionHandler):
    def get(self):
        portal = self.relay.portal
        session = portal.session_for(self.get_cookie(SESSION_COOKIE))
        self.reply(200, {"success": True, "signed_in": session is not None,
                         "setup_required": portal.password_hash is None,
                         "xsrf_token": session.xsrf if session else None,
                         "clients": portal.clients() if session else []})


class SignInHandler(PortalSessionHandler):
    async def post(self):
        portal = self.relay.portal
        portal.take_attempt(self.request.remote_ip)
        password = self.fields("password")["password"]
        if portal.password_hash is None:
            raise ApiError(409, "setup_required", "no password is set: use the setup code "
                           "`relay serve` printed, or `relay admin set-password`")
        if not await portal.password_matches(password):
            raise ApiError(401, "wrong_password", "the password is wrong", "password")
        self.start_session()


class SetupHandler(PortalSessionHandler):
    async def post(self):
        portal = self.relay.portal
        portal.take_attempt(self.request.remote_ip)
        body = self.fields("setup_code", "password")
        if portal.password_hash is not None:
            raise ApiError(409, "already_set_up", "the password is set; sign in with it")
        if not portal.setup_code_matches(body["setup_code"]):
            raise ApiError(401, "wrong_setup_code", "the setup code is wrong", "setup_code")
        await portal.set_password(body["password"])
        self.start_session()


class SignOutHandler(PortalSessionHandler):
    auth = "portal"

    def post(self):
        self.relay.portal.close_session(self.get_cookie(SESSION_COOKIE))
        self.clear_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        self.reply(200, {"success": True, "signed_in": False})


ROUTES = [
    (r"/portal/api/session", SessionHandler),
    (r"/portal/api/signin", SignInHandler),
    (r"/portal/api/setup", SetupHandler),
    (r"/portal/api/signout", SignOutHandler),
]
