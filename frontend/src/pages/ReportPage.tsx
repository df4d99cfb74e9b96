/** ReportPage is a placeholder until the page is written. */
export function ReportPage() {
  return <section className="page"><h1>Provisioning Report</h1></section>
}
