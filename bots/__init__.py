"""Channels: the command line, the web chat and the Telegram bot. They format and deliver."""
