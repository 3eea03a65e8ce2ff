select 10 / 2 as division, 2*/*comment; inside*/3 as product, 5 - -3 as minus;
select 4 -- comment; after a minus-free expression
  + 1 as plus;
select '{"a": {"b": "c;d"}}'::jsonb -> 'a' ->> 'b' as json_path;
select array[1, 2, 3] @> array[2] as contains, 7 % 3 as modulo, |/ 16 as root;
