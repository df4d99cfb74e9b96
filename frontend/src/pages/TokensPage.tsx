/** TokensPage is a placeholder until the page is written. */
export default function TokensPage() {
  return <section className="page"><h1>TokensPage</h1></section>
}
