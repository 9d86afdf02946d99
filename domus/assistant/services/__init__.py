"""Writes of the assistant: the index (``index``), answers and chats (``assist``), the review
queue and feedback (``reviews``)."""
