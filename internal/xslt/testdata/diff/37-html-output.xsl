<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html"/><xsl:template match="/"><html><head><title>t</title></head><body><p>a &amp; b &lt; c</p><xsl:for-each select="//book"><div class="b"><xsl:value-of select="title"/></div></xsl:for-each></body></html></xsl:template>
</xsl:stylesheet>
