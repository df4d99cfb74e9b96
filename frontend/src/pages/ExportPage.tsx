/** ExportPage is a placeholder until the page is written. */
export default function ExportPage({ id }: { id: string }) {
  return <section className="page"><h1>Export {id}</h1></section>
}
