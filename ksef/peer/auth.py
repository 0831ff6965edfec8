"""The peer's authentication with a KSeF token: challenge, the asynchronous token check,
the operation's status, redeeming and refreshing tokens, the access token's context."""
import secrets
from datetime import timedelta

from ksef import encryption

from . import documents
from .records import b64decode, bad_request, iso, now, unauthorized


class AuthMixin:
    """Mixed into ``Peer``: uses its ``lock``, ``keys``, ``config`` and token tables."""

    def certificates(self) -> list[dict]:
        return [pair.entry() for pair in self.keys.values()]

    def challenge_new(self, client_ip: str) -> dict:
        when = now()
        challenge = documents.reference_new("CR", when)
        timestamp_ms = int(when.timestamp() * 1000)
        with self.lock:
            self.challenges[challenge] = timestamp_ms
        return {"challenge": challenge, "timestamp": iso(when), "timestampMs": timestamp_ms,
                "clientIp": client_ip or "127.0.0.1"}

    def ksef_token_init(self, body: dict) -> dict:
        """Checks the token asynchronously as KSeF does: the answer is always 202, the
        verdict comes from the operation's status (450 for a wrong token)."""
        with self.lock:
            timestamp_ms = self.challenges.pop(body.get("challenge", ""), None)
        if timestamp_ms is None:
            raise bad_request(21401, "Nieprawidłowe wyzwanie autoryzacyjne.",
                              "The challenge is unknown or was already used.")
        context = body.get("contextIdentifier") or {}
        nip = context.get("value", "")
        failure = self._token_failure(body, nip, timestamp_ms)
        when = now()
        reference = documents.reference_new("AU", when)
        operation_token = secrets.token_urlsafe(32)
        with self.lock:
            self.auth_operations[reference] = {
                "token": operation_token, "nip": nip, "failure": failure,
                "polls_left": self.config["auth_polls"], "started": when, "redeemed": False}
        return {"referenceNumber": reference, "authenticationToken": {
            "token": operation_token, "validUntil": iso(when + timedelta(minutes=15))}}

    def _token_failure(self, body: dict, nip: str, timestamp_ms: int) -> str | None:
        if (body.get("contextIdentifier") or {}).get("type") != "Nip":
            return "Unsupported context identifier type."
        encrypted = b64decode(body.get("encryptedToken", ""), "encryptedToken")
        try:
            plain = encryption.rsa_decrypt(
                encrypted, self.keys["KsefTokenEncryption"].private_key).decode("utf-8")
        except (encryption.DecryptionError, UnicodeDecodeError):
            return "The token cannot be decrypted."
        token, _, stamp = plain.rpartition("|")
        if stamp != str(timestamp_ms):
            return "The timestamp does not match the challenge."
        with self.lock:
            if (nip, token) not in self.tokens:
                return "Invalid KSeF token for this context."
        return None

    def auth_status(self, reference: str, bearer: str | None) -> dict:
        operation = self._auth_operation(reference, bearer)
        with self.lock:
            if operation["polls_left"] > 0:
                operation["polls_left"] -= 1
                status = {"code": 100, "description": "Uwierzytelnianie w toku"}
            elif operation["failure"]:
                status = {"code": 450, "description": "Uwierzytelnianie zakończone "
                          "niepowodzeniem z powodu błędnego tokenu",
                          "details": [operation["failure"]]}
            else:
                status = {"code": 200, "description": "Uwierzytelnianie zakończone sukcesem"}
        return {"startDate": iso(operation["started"]), "authenticationMethod": "Token",
                "authenticationMethodInfo": {"category": "Token", "code": "token.ksef",
                                             "displayName": "Token KSeF"},
                "status": status}

    def _auth_operation(self, reference: str, bearer: str | None) -> dict:
        with self.lock:
            operation = self.auth_operations.get(reference)
        if operation is None or operation["token"] != bearer:
            raise unauthorized("Nieprawidłowy token operacji uwierzytelnienia.")
        return operation

    def token_redeem(self, bearer: str | None) -> dict:
        with self.lock:
            found = [(ref, op) for ref, op in self.auth_operations.items()
                     if op["token"] == bearer]
            if not found:
                raise unauthorized("Nieprawidłowy token operacji uwierzytelnienia.")
            reference, operation = found[0]
            if operation["failure"] or operation["polls_left"] > 0:
                raise bad_request(21301, "Brak autoryzacji.",
                                  "The authentication has not succeeded.")
            if operation["redeemed"]:
                raise bad_request(21302, "Token został już pobrany.",
                                  "The tokens of this authentication were already redeemed.")
            operation["redeemed"] = True
            access = self._access_new(operation["nip"], reference)
            refresh_token = secrets.token_urlsafe(32)
            refresh_until = now() + timedelta(seconds=self.config["refresh_ttl"])
            self.refresh[refresh_token] = {"nip": operation["nip"], "auth": reference,
                                           "valid_until": refresh_until}
        return {"accessToken": access,
                "refreshToken": {"token": refresh_token, "validUntil": iso(refresh_until)}}

    def _access_new(self, nip: str, auth_reference: str) -> dict:
        token = secrets.token_urlsafe(32)
        valid_until = now() + timedelta(seconds=self.config["access_ttl"])
        self.access[token] = {"nip": nip, "auth": auth_reference, "valid_until": valid_until}
        return {"token": token, "validUntil": iso(valid_until)}

    def token_refresh(self, bearer: str | None) -> dict:
        with self.lock:
            refresh = self.refresh.get(bearer or "")
            if refresh is None or refresh["valid_until"] <= now():
                raise unauthorized("Nieprawidłowy lub wygasły token odświeżający.")
            return {"accessToken": self._access_new(refresh["nip"], refresh["auth"])}

    def context(self, bearer: str | None) -> dict:
        """The authenticated context of an access token (401 when unknown or expired)."""
        with self.lock:
            access = self.access.get(bearer or "")
        if access is None:
            raise unauthorized()
        if access["valid_until"] <= now():
            raise unauthorized("Token dostępu wygasł.")
        return access
