"""Start Odoo as ``odoo-bin`` does (``python3 tests/odoo_server.py <args>``).

``python3 -m odoo`` cannot run in workers mode: the prefork server respawns its gevent
process as ``python3 sys.argv[0] gevent``, which a package's ``__main__.py`` is not.
"""

from odoo.cli.command import main

if __name__ == "__main__":
    main()
