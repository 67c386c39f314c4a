"""The customer portal: a contact's tickets, new requests, replies (mounted at /portal/)."""
