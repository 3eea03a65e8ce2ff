-- Migration: accounts
-- Author: someone


-- The accounts table holds one row per customer.
create table public.accounts (
  id uuid primary key,
  name text not null
);


/* Index for lookups by name */

create index accounts_name_idx on public.accounts (name);
