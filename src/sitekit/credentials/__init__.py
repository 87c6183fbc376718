"""The fleet's secrets: its CA, each host's and each user's password, the bootstrap bundle.

Everything secret is kept in ansible-vault files beside the fleet's inventory and is never
written anywhere in clear: the CA's key, the management passwords, the users' first-logon
passwords.
"""
