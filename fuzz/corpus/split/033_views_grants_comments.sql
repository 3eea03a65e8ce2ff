create table public.products (id int primary key, name text, price numeric);
create view public.cheap_products with (security_invoker = true) as
  select id, name from public.products where price < 10;
revoke all on public.products from public;
grant select on public.cheap_products to public;
comment on view public.cheap_products is 'Products under 10; see pricing.md';
comment on column public.products.price is $$Price in EUR; VAT included$$;
