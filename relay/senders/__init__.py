"""Server-side channels: email over SMTP and tg_bot through the Telegram Bot API."""
