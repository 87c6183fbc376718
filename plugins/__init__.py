"""The kit's Ansible plugins, installed with the package as `sitekit._plugins`.

Ansible reads them from here (ansible.cfg); the core reads the inventory plugin's
documentation and the lab the own modules' specs from the installed copy, so a wheel
works outside this checkout.
"""
