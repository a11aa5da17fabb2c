/**
 * Reading every page of a listing through the SDK's own paginators (`paginateListThingPrincipals`,
 * `paginateQuery`, ...), which carry the token or marker from one page to the next.
 */

/** Every item of every page, in order; `itemsOf` names the page's list (absent means none). */
export async function everyItem<Page, Item>(
  pages: AsyncIterable<Page>,
  itemsOf: (page: Page) => readonly Item[] | undefined,
): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of pages) items.push(...(itemsOf(page) ?? []));
  return items;
}
