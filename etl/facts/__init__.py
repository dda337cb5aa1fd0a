"""Facts of a study read from its record, the fidelity check on texts derived from them, and the
leads written from them."""
