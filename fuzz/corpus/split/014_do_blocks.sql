do $$
begin
  if not exists (select 1 from pg_namespace where nspname = 'extensions') then
    create schema extensions;
  end if;
end
$$;

DO $do$
DECLARE
  t text;
BEGIN
  FOR t IN SELECT unnest(array['a;b', 'c']) LOOP
    RAISE NOTICE 'value: %;', t;
  END LOOP;
END;
$do$ LANGUAGE plpgsql;

do language plpgsql $$ begin perform 1; end $$;
