"""Operations: what operators read about the service's health."""
