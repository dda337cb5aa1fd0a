"""Mail: composing messages with the headers mailbox providers expect, and delivering them."""
