create schema if not exists app;
create table app.documents (
  id bigint primary key,
  owner_id text not null,
  title text not null,
  is_public boolean not null default false
);

alter table app.documents enable row level security;

create policy "Owners can read their documents; and public ones"
on app.documents for select
using (owner_id = current_user or is_public);

create policy "owners_insert" on app.documents
  for insert
  with check ( owner_id = (select current_user) );

create policy owners_update on app.documents for update
  using (owner_id = current_user)
  with check (owner_id = current_user and title <> '');
