"""Background work: the tick (scheduled behaviour) and the outbox dispatcher."""
