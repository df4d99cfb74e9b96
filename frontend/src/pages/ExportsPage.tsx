/** ExportsPage is a placeholder until the page is written. */
export default function ExportsPage() {
  return <section className="page"><h1>ExportsPage</h1></section>
}
