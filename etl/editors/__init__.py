"""Editor accounts: created by operators, checked by the editor pages' login."""
