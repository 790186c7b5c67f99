from sqlalchemy import inspect


def test_migrations_create_every_table(engine):
    import civicloop.models as m
    names = set(inspect(engine).get_table_names())
    assert set(m.Base.metadata.tables) <= names
