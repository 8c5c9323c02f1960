"""What every channel needs that is not about its transport: the error policy, conversation
memory, rate limits, the bot state on disk, the weekly push and shared citation formatting.

A channel (web, Telegram, a test's echo channel) keeps only its transport: how a message
arrives, how a reply is drawn, how it is sent. Nothing here imports a channel or its library.
"""
