"""Outbound, air-gap-safe feeds: the latest RouterOS version per channel (MikroTik's upgrade
server) and RouterOS CVEs (NVD). Fetched with plain GETs that carry nothing about the fleet,
each feed can be switched off, a failed fetch keeps the last known data, and both can be
imported from a file for sites without internet (`manage.py import_feed`)."""
