<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output cdata-section-elements="code"/><xsl:template match="/"><r><code>if (a &lt; b &amp;&amp; c) ]]&gt; x</code><nocode>a &lt; b</nocode></r></xsl:template>
</xsl:stylesheet>
