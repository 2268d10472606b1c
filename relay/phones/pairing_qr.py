"""The Setup QR a phone scans to pair: a JSON object with relay_url, phone_id, pairing_code and
install_commands (the two commands that fetch the agent and run it with the code; a person
who scans it with a camera app can copy them into Termux). Shown in the terminal by `relay
phones add --qr` and on screen by the portal."""
import json

import segno


def pairing_qr(pairing: dict) -> segno.QRCode:
    content = json.dumps({k: pairing[k] for k in ("relay_url", "phone_id", "pairing_code",
                                                  "install_commands")},
                         separators=(",", ":"), ensure_ascii=False)
    return segno.make(content, error="m")


def pairing_svg(pairing: dict) -> str:
    """The QR as an inline <svg> element, titled for screen readers."""
    return pairing_qr(pairing).svg_inline(scale=5, light="#fff", title=f"Setup QR for {pairing['phone_id']}")
