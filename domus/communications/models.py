"""Conversations, notifications, preferences, multi-channel outreach, support tickets and WebSockets."""
