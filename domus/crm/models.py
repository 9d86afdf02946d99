"""Clients, leads with explainable scoring, public lead capture and pipeline stats."""
