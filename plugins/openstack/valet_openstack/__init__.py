"""Valet's OpenStack plugins: the REST client (client), Nova's and
Cinder's scheduler filters (nova.filter, cinder.filter)."""
