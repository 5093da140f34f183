"""Clients for the protocols the platform speaks to routers (API/API-SSL, SSH, REST, SNMP)."""
