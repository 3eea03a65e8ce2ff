create table public.audited (id int primary key, v text);
create table public.audit_log (at timestamptz, what text);

-- The actions of a multi-action rule are separated by semicolons inside parentheses.
create rule audited_insert as on insert to public.audited
do also (
  insert into public.audit_log select current_timestamp, 'insert';
  insert into public.audit_log select current_timestamp, 'insert again'
);

insert into public.audited values (1, 'x');
