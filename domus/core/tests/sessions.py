"""What a PostgreSQL test's database session holds."""

from django.db import connection


def prepared_statements() -> dict[str, tuple[str, int, int]]:
    """This session's prepared statements: name -> (SQL, generic plans, custom plans)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {name: (sql, generic, custom) for name, sql, generic, custom in cursor.fetchall()}
