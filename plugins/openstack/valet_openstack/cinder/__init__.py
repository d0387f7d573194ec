"""Valet in Cinder's scheduler."""
